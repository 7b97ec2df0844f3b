"""Benchmark of ``egov import-units`` on a fresh temporary SQLite database.

Run: ``.venv/bin/python bench/import_units.py [--model 2025|legacy|both]``. Target: the whole post-2025
set (34 provinces, 3,321 communes) in under 60 s; the second, idempotent run writes nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="2025", choices=["2025", "legacy", "both"])
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="egov-bench-") as tmp:
        os.environ["EGOV_VAR_DIR"] = tmp
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        os.environ["DJANGO_SETTINGS_MODULE"] = "egov.settings"
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from egov.audit.models import AuditEntry
        from egov.audit.services import verify
        from egov.core import context
        from egov.directory.importers import import_units
        from egov.directory.models import Agency

        call_command("migrate", verbosity=0)
        print(f"database: {connection.settings_dict['NAME']} (SQLite {connection.Database.sqlite_version})")

        queries = [0]

        def count(execute, sql, params, many, ctx):  # type: ignore[no-untyped-def]
            queries[0] += 1
            return execute(sql, params, many, ctx)

        figures = []
        for label in ("first run", "second run (idempotent)"):
            queries[0] = 0
            with context.bind(source="cli"), connection.execute_wrapper(count):
                started = time.perf_counter()
                report = import_units(model=args.model)
                elapsed = time.perf_counter() - started
            figures.append((label, elapsed, queries[0]))
            print(f"\n{label}: {elapsed:.2f} s, {queries[0]} SQL queries")
            for line in report.lines():
                print(f"  {line}")

        agencies = Agency.objects.count()
        audit = AuditEntry.objects.count()
        check = verify()
        print(f"\nagencies: {agencies}, audit rows: {audit}")
        print(f"audit chain intact: {check.ok} ({check.checked} rows verified)")
        first = figures[0][1]
        print(f"per agency (first run): {1000 * first / max(agencies, 1):.2f} ms")
        ok = first < 60 and check.ok and audit >= agencies
        print("RESULT:", "OK (< 60 s)" if ok else "TOO SLOW or inconsistent")
        connection.close()
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
