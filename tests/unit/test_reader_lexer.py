"""Tokens and generic forms: what the reader accepts lexically, and where it says things are."""

import pytest

from rebalancer.symphony.forms import Atom, Seq, parse_forms, print_form
from rebalancer.symphony.lexer import encode_string, tokenize
from rebalancer.symphony.nodes import SourceLocation


def kinds_and_texts(text: str) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in tokenize(text, "f.clj")]


def test_commas_and_comments_are_whitespace() -> None:
    assert kinds_and_texts('[(asset "A"),(asset "B")] ; trailing comment, ignored\n;; another') == [
        ("open", "["),
        ("open", "("),
        ("symbol", "asset"),
        ("string", "A"),
        ("close", ")"),
        ("open", "("),
        ("symbol", "asset"),
        ("string", "B"),
        ("close", ")"),
        ("close", "]"),
    ]


@pytest.mark.parametrize("number", ["79", "-10", "82.5", "-0.5", "+3", "1e3", "2.5E-2"])
def test_numbers_including_negative_and_decimal(number: str) -> None:
    assert kinds_and_texts(f"({number})")[1] == ("number", number)


def test_keywords_symbols_and_operators() -> None:
    assert kinds_and_texts("{:window 10} >= <= select-top nil :rebalance-frequency :daily") == [
        ("open", "{"),
        ("keyword", "window"),
        ("number", "10"),
        ("close", "}"),
        ("symbol", ">="),
        ("symbol", "<="),
        ("symbol", "select-top"),
        ("symbol", "nil"),
        ("keyword", "rebalance-frequency"),
        ("keyword", "daily"),
    ]


def test_strings_with_escaped_quotes_and_newlines_keep_line_numbers() -> None:
    tokens = tokenize('"say \\"hi\\"\\n"\n"two\nlines" x', "f.clj")
    assert tokens[0].text == 'say "hi"\n'
    assert tokens[1].text == "two\nlines"
    assert tokens[2].loc == SourceLocation("f.clj", 3, 8)


def test_locations_are_one_based_line_and_column() -> None:
    tokens = tokenize('(a\n  ; note\n   (rsi "SPY"))', "f.clj")
    assert [str(t.loc) for t in tokens] == [
        "f.clj:1:1",
        "f.clj:1:2",
        "f.clj:3:4",
        "f.clj:3:5",
        "f.clj:3:9",
        "f.clj:3:14",
        "f.clj:3:15",
    ]


def test_unicode_escape_decodes() -> None:
    [token] = tokenize('"caf\\u00e9 \\t\\\\"')
    assert token.text == "café \t\\"


@pytest.mark.parametrize(
    "value", ["", "plain", 'quote " and \\ backslash', "tab\tnew\nline\rcr", "\x00\x1f\x7f é"]
)
def test_encode_string_reads_back(value: str) -> None:
    [token] = tokenize(encode_string(value))
    assert token.text == value


def test_forms_nest_lists_vectors_and_maps() -> None:
    [form] = parse_forms(tokenize('(filter (rsi {:window 10}) (select-top 2) [(asset "A")])'))
    assert isinstance(form, Seq)
    assert form.head == "filter"
    assert [type(a).__name__ for a in form.args] == ["Seq", "Seq", "Seq"]
    vector = form.args[2]
    assert isinstance(vector, Seq)
    assert vector.kind == "vector"
    assert vector.head is None
    assert vector.describe() == "a vector [...]"
    assert form.describe() == "(filter ...)"


def test_atom_descriptions_name_the_thing() -> None:
    forms = parse_forms(tokenize('"s" 1 :k sym'))
    assert [f.describe() for f in forms] == [
        'the string "s"',
        "the number 1",
        "the keyword :k",
        "the symbol sym",
    ]
    assert isinstance(forms[0], Atom)


def test_print_form_is_canonical() -> None:
    [form] = parse_forms(tokenize('{:a 0.050, :b [1 -2.0 1e2], :c (x "q\\"")  :d nil}'))
    assert print_form(form) == '{:a 0.05, :b [1 -2.0 100.0], :c (x "q\\""), :d nil}'
    [again] = parse_forms(tokenize(print_form(form)))
    assert print_form(again) == print_form(form)
