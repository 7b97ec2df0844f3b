"""``egov demo``: a demo province with departments, staff in every role and a citizen (safe to run again)."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from egov.core import context
from egov.directory.demo_data import DEMO_PASSWORD, DemoRefusedError, load_demo, logins_table
from egov.directory.importers import ImportUnitsError
from egov.documents import demo as documents_demo
from egov.dossiers import demo as dossiers_demo
from egov.procedures import demo as procedures_demo
from egov.reporting import demo as reporting_demo


class Command(BaseCommand):
    help = (
        "Nạp dữ liệu trình diễn / load demo data: one province of the 2025 model (EGOV_DEMO_PROVINCE_CODE), "
        "its departments, staff in every role and a citizen. Refused when EGOV_PRODUCTION=1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--province",
            metavar="CODE",
            help="GSO code of the province (default: EGOV_DEMO_PROVINCE_CODE, currently "
            f"{settings.EGOV_DEMO_PROVINCE_CODE})",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError(
                "Không nạp dữ liệu trình diễn vào hệ thống thật (EGOV_PRODUCTION=1) / "
                "refusing to load demo data in production."
            )
        started = time.monotonic()
        try:
            with context.bind(source="cli"):
                result = load_demo(opts["province"])
        except (DemoRefusedError, ImportUnitsError) as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError(f"Dữ liệu trình diễn không hợp lệ / invalid demo data: {exc}") from exc
        province = result.province
        self.stdout.write(f"Tỉnh trình diễn / demo province: {province.name} ({province.admin_unit_code})")
        if result.created_anything:
            self.stdout.write(
                f"Đã tạo / created: {result.agencies_created} cơ quan, đơn vị / agencies, "
                f"{result.people_created} tài khoản / accounts."
            )
        else:
            self.stdout.write("Dữ liệu trình diễn đã có sẵn, không tạo thêm gì / demo data already present.")
        self.stdout.write(
            "Mã QCVN 102 của cơ quan trình diễn chỉ mang tính minh họa / "
            "the demo QCVN 102 codes are illustrative."
        )
        documents_demo.load(self.stdout, province=province)  # registers, certificates, documents (issue #3)
        procedures_demo.load(self.stdout, province=province)  # procedure catalogue, liên thông groups (#5)
        dossiers_demo.load(self.stdout, province=province)  # dossiers in every status (#5)
        reporting_demo.load(self.stdout, province=province)  # regime, periods, reports (#6)
        self.stdout.write("")
        self.stdout.write(f"Tài khoản trình diễn (mật khẩu chung: {DEMO_PASSWORD}) / demo logins:")
        for line in logins_table(result.logins):
            self.stdout.write(line)
        self.stdout.write(f"({time.monotonic() - started:.1f} s)")
