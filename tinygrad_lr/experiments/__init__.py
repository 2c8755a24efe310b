"""The experiments behind the CLI (tinygrad-lr <subcommand>) and the README's results; each writes its figures
(PNG) and metrics (JSON and CSV) under runs/<experiment>/."""
