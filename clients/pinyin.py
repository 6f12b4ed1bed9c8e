"""Pinyin keys for names, computed once when a name is written and stored indexed."""

from pypinyin import Style, lazy_pinyin


def pinyin_keys(name: str) -> tuple[str, str]:
    """(`zhangsan`, `zs`) for 张三; latin letters pass through lower-cased."""
    syllables = [s.lower() for s in lazy_pinyin(name or "", errors="default") if s.strip()]
    full = "".join(syllables).replace(" ", "")
    initials = "".join(s[0] for s in lazy_pinyin(name or "", style=Style.FIRST_LETTER) if s.strip()).lower()
    return full[:255], initials[:64]
