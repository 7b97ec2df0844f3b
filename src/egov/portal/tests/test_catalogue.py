"""Public pages: the catalogue search (accent-insensitive, filters, pages) and the procedure page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from egov.procedures.models import Channel, ExecutionMethod, Field, Procedure, RequiredPaper

from .conftest import make_procedure


@pytest.fixture
def catalogue(tree):
    field, _ = Field.objects.get_or_create(code="HT", defaults={"name": "Hộ tịch"})
    other, _ = Field.objects.get_or_create(code="XD", defaults={"name": "Xây dựng"})
    birth = Procedure.objects.create(
        code="1.000656", name="Đăng ký khai sinh", field=field, levels=["commune"], online_level="full"
    )
    ExecutionMethod.objects.create(
        procedure=birth, channel=Channel.ONLINE, processing_days=Decimal("0"), fee_amount=0
    )
    ExecutionMethod.objects.create(
        procedure=birth,
        channel=Channel.DIRECT,
        processing_days=Decimal("1"),
        fee_amount=8000,
        fee_note="Lệ phí",
    )
    RequiredPaper.objects.create(procedure=birth, order=1, code="TK_KS", name="Tờ khai đăng ký khai sinh")
    build = Procedure.objects.create(
        code="1.009972", name="Cấp giấy phép xây dựng", field=other, levels=["province"], online_level="none"
    )
    ExecutionMethod.objects.create(procedure=build, channel=Channel.DIRECT, processing_days=Decimal("15"))
    return birth, build


def test_search_is_accent_insensitive(client, catalogue):
    response = client.get(reverse("portal:search"), {"q": "dang ky khai sinh"})
    assert response.status_code == 200
    assert "Đăng ký khai sinh" in response.text
    assert "Cấp giấy phép xây dựng" not in response.text
    response = client.get(reverse("portal:search"), {"q": "ĐĂNG KÝ"})
    assert "Đăng ký khai sinh" in response.text


def test_search_filters_and_pages(client, catalogue, tree):
    assert "Cấp giấy phép" in client.get(reverse("portal:search"), {"field": "XD"}).text
    assert "Đăng ký khai sinh" not in client.get(reverse("portal:search"), {"field": "XD"}).text
    assert "Đăng ký khai sinh" in client.get(reverse("portal:search"), {"online_level": "full"}).text
    assert "Cấp giấy phép" not in client.get(reverse("portal:search"), {"online_level": "full"}).text
    assert "Cấp giấy phép" in client.get(reverse("portal:search"), {"level": "province"}).text
    assert "Đăng ký khai sinh" not in client.get(reverse("portal:search"), {"level": "province"}).text
    for i in range(25):
        make_procedure(f"2.{i:06d}", receiving=tree.department)
    first = client.get(reverse("portal:search"), {"q": "thu tuc"})
    assert "Trang 1/2" in first.text
    second = client.get(reverse("portal:search"), {"q": "thu tuc", "page": 2})
    assert second.text.count('class="p-card-title"') == 5


def test_home_lists_fields(client, catalogue):
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    assert "Hộ tịch" in response.text and "Xây dựng" in response.text


def test_procedure_page(client, catalogue, tree):
    birth, build = catalogue
    response = client.get(reverse("portal:procedure", args=[birth.code]))
    assert response.status_code == 200
    text = response.text
    assert "Tờ khai đăng ký khai sinh" in text and "8.000" in text and "Trực tuyến toàn trình" in text
    # No receiving agency: nowhere to submit online yet.
    assert "Nộp hồ sơ trực tuyến" not in text
    procedure = make_procedure("1.000001", receiving=tree.department, fee=50_000)
    text = client.get(reverse("portal:procedure", args=[procedure.code])).text
    assert "Nộp hồ sơ trực tuyến" in text and reverse("portal:submit", args=[procedure.code]) in text
    text = client.get(reverse("portal:procedure", args=[build.code])).text
    assert "Nộp hồ sơ trực tuyến" not in text
    assert client.get(reverse("portal:procedure", args=["9.999999"])).status_code == 404
