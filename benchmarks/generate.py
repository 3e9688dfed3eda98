"""Write a realistic Segment export for the benchmarks.

    python benchmarks/generate.py 200000 benchmarks/out/events.jsonl
    python benchmarks/generate.py 1000000 benchmarks/out/events.jsonl.gz
    python benchmarks/generate.py 100000 - | pintag dry-run -

The content is fixed by the seed; only the timestamps move with the clock, so
that every message stays inside the Conversions API's 7-day window. The mix is
that of a web shop's analytics.js export: about 70% track (products viewed,
added, searched, ordered, plus custom events), 20% page and 10% identify, each
with the context a browser library sends, about 800 bytes a message. Messages
are written as they are made, so memory stays flat whatever the size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

import orjson

SHOP = "https://shop.example.com"
SPAN = dt.timedelta(days=3)
# One user for this many messages: a few days of a shop's traffic.
MESSAGES_PER_USER = 25
_CHUNK = 2000  # messages per write call

_BROWSERS = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
)
_LOCALES = ("en-US", "en-US", "en-GB", "de-DE", "fr-FR", "es-ES", "en-CA")
_REFERRERS = (
    "https://www.pinterest.com/",
    "https://www.google.com/",
    "https://www.instagram.com/",
    "",
    "",
)
_CAMPAIGNS = (
    {"name": "spring_sale", "source": "pinterest", "medium": "paid_social"},
    {"name": "newsletter_w18", "source": "newsletter", "medium": "email"},
    {
        "name": "brand_search",
        "source": "google",
        "medium": "cpc",
        "term": "hiking boots",
        "content": "ad_variant_b",
    },
)
_CATEGORIES = ("Footwear", "Jackets", "Backpacks", "Tents", "Accessories", "Sale")
_BRANDS = ("Northpeak", "Trailhead", "Alder & Co", "Summit Gear", "Rivermoss")
_ADJECTIVES = ("Trail", "Alpine", "Storm", "Ridge", "Canyon", "Glacier", "Forest")
_NOUNS = ("Boot", "Jacket", "Pack 30L", "Tent 2P", "Fleece", "Cap", "Gaiter")
_VARIANTS = ("Black / 42", "Olive / M", "Navy / L", "Red / S", "Grey / 44", "One Size")
_QUERIES = ("rain jacket", "blue hiking boots", "tent 2 person", "merino socks")
_FIRST = ("Ada", "Grace", "Linus", "Margaret", "Alan", "Barbara", "Ken", "Frances")
_LAST = ("Lovelace", "Hopper", "Torvalds", "Hamilton", "Turing", "Liskov", "Allen")
_PLANS = ("free", "member", "gold")
_CUSTOM = ("Newsletter Subscribed", "Wishlist Item Added", "Store Locator Used")
_PAGES = (
    ("Home", "/", None),
    ("Category", "/collections/{slug}", "Catalog"),
    ("Product", "/products/{slug}", "Catalog"),
    ("Cart", "/cart", "Checkout"),
    ("Help", "/pages/shipping", None),
)
# (cumulative weight, kind): 70% track, 20% page, 10% identify.
_TRACK_EVENTS = (
    (25, "Product Viewed"),
    (37, "Product Added"),
    (45, "Products Searched"),
    (50, "Product List Viewed"),
    (55, "Cart Viewed"),
    (59, "Checkout Started"),
    (64, "Order Completed"),
    (70, "custom"),
    (90, "page"),
    (100, "identify"),
)


@dataclass(slots=True)
class _User:
    anonymous_id: str
    user_id: str | None  # None: never logged in, so never identified
    email: str
    ip: str
    user_agent: str
    locale: str
    campaign: dict | None


class ExportGenerator:
    """Makes Segment messages one at a time, the same ones for the same seed."""

    def __init__(
        self,
        count: int,
        *,
        seed: int = 1,
        users: int | None = None,
        now: dt.datetime | None = None,
    ):
        self.count = count
        self.rng = random.Random(seed)
        end = now or dt.datetime.now(dt.UTC)
        self.start = end - SPAN
        self.step = SPAN / max(count, 1)
        self.products = [self._product(i) for i in range(240)]
        users = users or max(count // MESSAGES_PER_USER, 50)
        self.users = [self._user(i) for i in range(users)]
        self.slugs = [p["url"].rsplit("/", 1)[1] for p in self.products]

    def messages(self) -> Iterator[dict]:
        """Yield `count` messages in time order."""
        rng = self.rng
        for i in range(self.count):
            user = self.users[rng.randrange(len(self.users))]
            roll = rng.randrange(100)
            kind = next(name for weight, name in _TRACK_EVENTS if roll < weight)
            when = self.start + self.step * i
            if kind == "page":
                yield self._page(user, when)
            elif kind == "identify":
                yield self._identify(user, when)
            else:
                yield self._track(user, when, kind)

    def _product(self, i: int) -> dict:
        rng = self.rng
        name = f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}"
        slug = name.lower().replace(" ", "-").replace("/", "") + f"-{i}"
        return {
            "product_id": f"{rng.getrandbits(96):024x}",
            "sku": f"SKU-{10000 + i}",
            "category": rng.choice(_CATEGORIES),
            "name": name,
            "brand": rng.choice(_BRANDS),
            "variant": rng.choice(_VARIANTS),
            "price": round(rng.uniform(9, 400), 2),
            "url": f"{SHOP}/products/{slug}",
            "image_url": f"https://cdn.example.com/img/{slug}.jpg",
        }

    def _user(self, i: int) -> _User:
        rng = self.rng
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        return _User(
            anonymous_id=self._uuid(),
            user_id=f"user_{i:07d}" if rng.random() < 0.6 else None,
            email=f"{first}.{last}{i}@example.org".lower(),
            ip=f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}."
            f"{rng.randrange(1, 255)}",
            user_agent=rng.choice(_BROWSERS),
            locale=rng.choice(_LOCALES),
            campaign=rng.choice(_CAMPAIGNS) if rng.random() < 0.3 else None,
        )

    def _uuid(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def _envelope(self, user: _User, when: dt.datetime, kind: str, page: tuple):
        """The fields every analytics.js message has, in its order."""
        title, path, url = page
        referrer = _REFERRERS[len(path) % len(_REFERRERS)]
        context = {
            "ip": user.ip,
            "library": {"name": "analytics.js", "version": "npm:next-1.66.0"},
            "locale": user.locale,
            "page": {
                "path": path,
                "referrer": referrer,
                "title": title,
                "url": url,
            },
            "userAgent": user.user_agent,
        }
        if user.campaign is not None:
            context["campaign"] = user.campaign
        sent = when + dt.timedelta(milliseconds=self.rng.randrange(5, 900))
        message = {
            "anonymousId": user.anonymous_id,
            "context": context,
            "messageId": f"ajs-next-{self.rng.getrandbits(128):032x}",
            "originalTimestamp": _iso(when),
            "sentAt": _iso(sent),
            "timestamp": _iso(when),
            "type": kind,
        }
        if user.user_id is not None:
            message["userId"] = user.user_id
        message["version"] = 2
        return message

    def _product_page(self, product: dict) -> tuple:
        return (
            f"{product['name']} | Northpeak",
            product["url"][len(SHOP) :],
            product["url"],
        )

    def _line(self, product: dict, quantity: int | None = None) -> dict:
        item = {k: product[k] for k in ("product_id", "sku", "category", "name")}
        item |= {k: product[k] for k in ("brand", "price")}
        if quantity is not None:
            item["quantity"] = quantity
        return item

    def _track(self, user: _User, when: dt.datetime, event: str) -> dict:
        rng = self.rng
        product = self.products[rng.randrange(len(self.products))]
        page = self._product_page(product)
        products = [
            self._line(
                self.products[rng.randrange(len(self.products))], rng.randrange(1, 4)
            )
            for _ in range(rng.randrange(1, 4))
        ]
        total = round(sum(p["price"] * p["quantity"] for p in products), 2)
        if event in ("Product Viewed", "Product Added"):
            props = self._line(product, 1 if event == "Product Added" else None)
            props |= {
                "currency": "USD",
                "value": product["price"],
                "variant": product["variant"],
            }
        elif event == "Products Searched":
            query = rng.choice(_QUERIES)
            props = {"query": query}
            page = (
                "Search | Northpeak",
                "/search",
                f"{SHOP}/search?q={query.replace(' ', '+')}",
            )
        elif event == "Product List Viewed":
            props = {
                "list_id": "collection-" + product["category"].lower(),
                "category": product["category"],
                "products": products,
            }
        elif event == "Order Completed":
            props = {
                "checkout_id": self._uuid(),
                "order_id": f"ORD-{rng.randrange(10**8):08d}",
                "affiliation": "Online Store",
                "total": total,
                "revenue": round(total / 1.08, 2),
                "shipping": 4.95,
                "tax": round(total - total / 1.08, 2),
                "currency": "USD",
                "products": products,
            }
            if rng.random() < 0.3:
                props["coupon"] = "SPRING15"
        elif event in ("Cart Viewed", "Checkout Started"):
            props = {
                "cart_id": user.anonymous_id[:13],
                "value": total,
                "currency": "USD",
                "products": products,
            }
        else:
            event = rng.choice(_CUSTOM)
            props = {
                "source": "footer",
                "product_id": product["product_id"],
                "plan": rng.choice(_PLANS),
            }
        message = self._envelope(user, when, "track", page)
        message["event"] = event
        message["properties"] = props
        return message

    def _page(self, user: _User, when: dt.datetime) -> dict:
        rng = self.rng
        name, path, category = rng.choice(_PAGES)
        if "{slug}" in path:
            path = path.format(slug=rng.choice(self.slugs))
        url = SHOP + path
        title = f"{name} | Northpeak"
        message = self._envelope(user, when, "page", (title, path, url))
        props = {
            "path": path,
            "title": title,
            "url": url,
        }
        if category is not None:
            message["category"] = category
            props["category"] = category
        message["name"] = name
        message["properties"] = props
        return message

    def _identify(self, user: _User, when: dt.datetime) -> dict:
        message = self._envelope(
            user,
            when,
            "identify",
            ("Account | Northpeak", "/account", f"{SHOP}/account"),
        )
        first, rest = user.email.split(".", 1)
        message["traits"] = {
            "email": user.email,
            "firstName": first.title(),
            "lastName": rest.split("@")[0].rstrip("0123456789").title(),
            "plan": _PLANS[len(user.email) % len(_PLANS)],
            "createdAt": "2023-04-02T09:12:44.000Z",
        }
        return message


def _iso(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def write_export(
    count: int, out: IO[bytes], *, seed: int = 1, users: int | None = None
) -> int:
    """Write `count` messages as NDJSON to a binary stream; return bytes written."""
    written = 0
    chunk: list[bytes] = []
    dumps = orjson.dumps
    for message in ExportGenerator(count, seed=seed, users=users).messages():
        chunk.append(dumps(message))
        if len(chunk) == _CHUNK:
            written += out.write(b"\n".join(chunk) + b"\n")
            chunk.clear()
    if chunk:
        written += out.write(b"\n".join(chunk) + b"\n")
    return written


def generate(count: int, path: str, *, seed: int = 1, users: int | None = None) -> int:
    """Write `count` messages to `path` (gzipped when it ends in .gz, - for stdout)."""
    if path == "-":
        return write_export(count, sys.stdout.buffer, seed=seed, users=users)
    if path.endswith(".gz"):
        # Level 6 is gzip's default, what an export tool produces.
        with gzip.open(path, "wb", compresslevel=6) as out:
            return write_export(count, out, seed=seed, users=users)
    with open(path, "wb", buffering=1 << 20) as out:
        return write_export(count, out, seed=seed, users=users)


def main(argv: list[str] | None = None) -> None:
    """Command line: generate.py N PATH [--seed S]."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int, help="number of messages")
    parser.add_argument("path", help="output file (.gz to compress, - for stdout)")
    parser.add_argument("--seed", type=int, default=1, help="random seed [1]")
    parser.add_argument(
        "--users",
        type=int,
        help=f"distinct users [one per {MESSAGES_PER_USER} messages]",
    )
    args = parser.parse_args(argv)
    try:
        size = generate(args.count, args.path, seed=args.seed, users=args.users)
    except BrokenPipeError:
        return
    if args.path != "-":
        print(f"{args.path}: {args.count} messages, {size} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
