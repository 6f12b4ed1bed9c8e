"""Pinyin keys for names, computed once when a name is written and stored indexed."""

import re

# Characters read differently as a surname than in ordinary words (曾 is zēng, not céng): a user
# looking for 曾伟 types `zengwei` / `zw`. One syllable per character.
SURNAME_READINGS = {
    "尉迟": ["yu", "chi"], "万俟": ["mo", "qi"], "长孙": ["zhang", "sun"], "澹台": ["tan", "tai"],
    "曾": ["zeng"], "单": ["shan"], "解": ["xie"], "区": ["ou"], "仇": ["qiu"], "朴": ["piao"], "查": ["zha"],
    "覃": ["qin"], "乐": ["yue"], "盖": ["ge"], "缪": ["miao"], "翟": ["zhai"], "瞿": ["qu"], "员": ["yun"],
    "召": ["shao"], "繁": ["po"], "种": ["chong"], "秘": ["bi"], "折": ["she"], "黑": ["he"], "隗": ["wei"],
    "宓": ["mi"], "能": ["nai"], "句": ["gou"], "尉": ["yu"], "莘": ["shen"], "冼": ["xian"], "牟": ["mu"],
    "柏": ["bai"], "薄": ["bo"], "祭": ["zhai"],
}
# Longest first, so the compound 尉迟 wins over 尉.
_SURNAMES = sorted(SURNAME_READINGS, key=len, reverse=True)
_WORD = re.compile(r"[^\W_]+")  # a run of letters or digits, in any script


def pinyin_keys(name: str, *, person: bool = False) -> tuple[str, str]:
    """(`zhangsan`, `zs`) for 张三; latin letters pass through lower-cased.

    `person`: read a leading surname with its surname pronunciation (曾伟 → `zengwei`, `zw`), which
    would be wrong for a company (长江实业 is `changjiang…`).
    """
    name = name or ""
    head: list[str] = []
    # pypinyin loads its phrase dictionary (≈ 0.3 s, ≈ 55 MB) when imported: only when a name is keyed,
    # not in every process that imports this module (a settlement import, a worker).
    from pypinyin import Style, lazy_pinyin

    if person:
        surname = next((s for s in _SURNAMES if name.startswith(s)), "")
        head, name = SURNAME_READINGS.get(surname, []), name[len(surname):]
    # Latin text passes through lazy_pinyin whole ("Tom Lee"): its words give their first letters. Only
    # letters and digits count, so "=张三" or "@Tom Lee" (a name a spreadsheet took for a formula) has the
    # keys of 张三 and Tom Lee; a name of symbols only has empty keys.
    syllables = head + [word.lower() for part in lazy_pinyin(name, errors="default") for word in _WORD.findall(part)]
    initials = [s[0] for s in head] + [
        word[0] for part in lazy_pinyin(name, style=Style.FIRST_LETTER) for word in _WORD.findall(part)
    ]
    return "".join(syllables)[:255], "".join(initials).lower()[:64]
