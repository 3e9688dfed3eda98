"""The standard map (contract §3): Segment spec events and Pinterest's own events."""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[ _-]")

STANDARD_EVENTS = frozenset(
    {"checkout", "addtocart", "pagevisit", "signup", "watchvideo", "lead"}
    | {"search", "viewcategory", "custom"}
)

# Segment spec event -> Pinterest event, keyed by normalise_event_name(). The
# mapping core and `pintag check` share this one table.
STANDARD_EVENT_MAP: dict[str, str] = {
    "productssearched": "search",
    "searchedproducts": "search",
    "productlistviewed": "viewcategory",
    "viewedproductcategory": "viewcategory",
    "promotionviewed": "pagevisit",
    "viewedpromotion": "pagevisit",
    "productviewed": "pagevisit",
    "viewedproduct": "pagevisit",
    "productadded": "addtocart",
    "addedproduct": "addtocart",
    "cartviewed": "pagevisit",
    "viewedcart": "pagevisit",
    "ordercompleted": "checkout",
    "completedorder": "checkout",
    "productlistfiltered": "search",
    "filteredproductlist": "search",
    "signedup": "signup",
    "videoplaybackstarted": "watchvideo",
}


def normalise_event_name(name: str) -> str:
    """Lower-case ``name`` and remove spaces, ``_`` and ``-``, for comparisons."""
    return _SEPARATORS.sub("", name.lower())
