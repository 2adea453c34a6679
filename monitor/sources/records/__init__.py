"""Public records as sources: USAspending awards and their modifications, SEC EDGAR filings,
Federal Register documents. Each provider is a ``Source`` kind; ``common`` is what they share
(amounts and names as alerts write them, the date window a poll reads)."""
