"""pintag: replay Segment-spec analytics events into Pinterest as conversions."""

__version__ = "0.1.0"
