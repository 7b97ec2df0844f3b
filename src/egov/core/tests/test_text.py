import pytest

from egov.core.text import fold


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Hà Nội", "ha noi"),
        ("HA NOI", "ha noi"),
        ("ha noi", "ha noi"),
        ("ĐẮK LẮK", "dak lak"),
        ("Đà  Nẵng\t", "da nang"),
        ("Thừa Thiên Huế", "thua thien hue"),
        ("Hà Nội".encode().decode("utf-8"), "ha noi"),
        ("Ha\u0300 N\u00f4\u0323i", "ha noi"),  # decomposed (NFD) input
        ("", ""),
        (None, ""),
    ],
)
def test_fold(text, key):
    assert fold(text) == key
