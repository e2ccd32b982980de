import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tenants.validators import uscc_check_char, validate_uscc


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600001760P", " 91350100m000100y43 "])
def test_published_codes_are_valid(code):
    validate_uscc(code)


@pytest.mark.parametrize(
    "code,error_code",
    [
        ("91350100M000100Y44", "uscc_check"),  # one character off
        ("91350100M000100Y4", "uscc_length"),
        ("91350100M000100I43", "uscc_chars"),  # I is not in the alphabet
        ("9135A100M000100Y43", "uscc_region"),
    ],
)
def test_bad_codes_say_what_is_wrong(code, error_code):
    with pytest.raises(ValidationError) as exc:
        validate_uscc(code)
    assert exc.value.code == error_code


def test_check_character_message_is_translated():
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as exc:
            validate_uscc("91350100M000100Y44")
        assert "校验" in exc.value.messages[0]


def test_check_char_of_all_zero_body_wraps_to_zero():
    assert uscc_check_char("0" * 17) == "0"
