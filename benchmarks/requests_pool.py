"""The Tag delivery baseline: a plain `requests` thread pool GETting a URL list.

    python benchmarks/requests_pool.py urls.txt --concurrency 32

This is what one would write by hand instead of pintag: one `requests.Session`
shared by a ThreadPoolExecutor. The session's connection pool is widened to
the thread count; left at requests' default of 10, most of the 32 threads
would open and drop a connection per request and the baseline would measure
that mistake instead of `requests`.
"""

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor

import requests
from requests.adapters import HTTPAdapter


def send_all(urls: list[str], concurrency: int) -> int:
    """GET every URL; return how many did not answer 2xx."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=concurrency)
    session.mount("http://", adapter)
    session.mount("https://", adapter)

    def fetch(url: str) -> bool:
        try:
            return session.get(url, timeout=10).ok
        except requests.RequestException:
            return False

    with ThreadPoolExecutor(concurrency) as pool:
        return sum(not ok for ok in pool.map(fetch, urls))


def main() -> None:
    """Command line: requests_pool.py URLS [--concurrency N]."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("urls", help="file of URLs, one a line")
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    with open(args.urls, encoding="utf-8") as lines:
        urls = [line.rstrip("\n") for line in lines if line.strip()]
    failed = send_all(urls, args.concurrency)
    if failed:
        print(
            f"requests_pool: {failed} of {len(urls)} requests failed", file=sys.stderr
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
