"""Benchmark of the printed registers (``documents.exports``): XLSX and PDF of N register rows.

Run: ``.venv/bin/python bench/documents_export.py [--rows 1000 5000]``. The rows are synthetic (no
database): this measures the layout and writing only, which is what grows with the size of a register; the
rows themselves are read from the database in chunks of 500.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
import types
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 5000])
    args = parser.parse_args()
    os.environ.setdefault("EGOV_VAR_DIR", tempfile.mkdtemp(prefix="egov-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "egov.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    import django

    django.setup()
    from egov.documents import exports

    parent = types.SimpleNamespace(name="Ủy ban nhân dân Thành phố Cần Thơ")
    agency = types.SimpleNamespace(name="Sở Nội vụ thành phố Cần Thơ", kind="department", parent=parent)
    register = types.SimpleNamespace(name="Sổ văn bản đến")

    def rows(n: int):  # type: ignore[no-untyped-def]
        for i in range(1, n + 1):
            day = dt.date(2026, 1, 2) + dt.timedelta(days=i * 360 // n)
            yield (
                day,
                i,
                "Văn phòng Chính phủ",
                f"{i:02d}/VPCP-KSTT",
                day - dt.timedelta(days=2),
                "Công văn: Về việc báo cáo tình hình thực hiện Đề án 06 về phát triển dữ liệu dân cư",
                "Đỗ Văn Long",
                day + dt.timedelta(days=1),
                "",
                "Khẩn; Hạn xử lý 20/03/2026",
            )

    for n in args.rows:
        for fmt, render in (("xlsx", exports.render_xlsx), ("pdf", exports.render_pdf)):
            sheet = exports.RegisterSheet(
                agency=agency,  # type: ignore[arg-type]
                register=register,  # type: ignore[arg-type]
                title=exports.INCOMING_TITLE,
                period="Năm 2026",
                columns=exports.INCOMING_COLUMNS,
                rows=rows(n),
            )
            started = time.perf_counter()
            data = render(sheet)
            seconds = time.perf_counter() - started
            print(
                f"{n:>6,} rows {fmt.upper():4}: {seconds:6.2f} s ({1000 * seconds / n:.2f} ms/row), "
                f"{len(data) / 1e6:.2f} MB"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
