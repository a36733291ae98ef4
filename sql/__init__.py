"""SQL files shipped as the package `billing_sql` (see pyproject: package-dir)."""
