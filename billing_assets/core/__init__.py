"""Pure billing domain: contracts, sources, classification, pricing. Imports no Dagster and does no I/O
beyond reading the files it is handed."""
