"""Search sources generated from the watchlists: each entity's queries asked of Google News,
Bing News and GDELT, one stored source per query and edition (see ``configured``)."""
