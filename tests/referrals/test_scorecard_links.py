"""The intermediary scorecard's client counts open the client list that makes them (the clients linked at the
month's end, those newly linked in it), as the branch manager sees it, with a banner naming the figure."""

import html as htmllib
import re

import pytest
from django.urls import reverse

from ..segmentation.test_drilldown import BANNER, LIST_COUNT
from .test_scorecard import month, page  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db
CELL = re.compile(r'<td class="num"><a href="([^"]*)">(\d+)</a></td>')


def test_client_counts_link_to_lists_of_that_many(month, staff):  # noqa: F811
    b = page(staff["bm_sh"])
    html = b.get(reverse("referrals:scorecard"), {"month": "2026-11"}).content.decode()
    seen = {}
    for code in ("IB001", "IB002"):
        row = html.split(f'data-code="{code}"')[1].split("</tr>")[0]
        cells = [(htmllib.unescape(url), int(n)) for url, n in CELL.findall(row)]
        assert len(cells) == 2, row  # clients linked, newly linked; money and warning signs are not links
        for url, n in cells:
            listed = b.get(url).content.decode()
            assert [int(x) for x in LIST_COUNT.findall(listed)] == [n], url
            seen[(code, re.search(r"figure=(\w+)", url).group(1))] = (n, BANNER.search(listed).group(1).strip())
    assert seen[("IB001", "scorecard_linked")][0] == 2 and seen[("IB001", "scorecard_newly_linked")][0] == 1
    assert seen[("IB002", "scorecard_linked")][0] == 2
    assert "Clients linked to intermediary IB001 on 2026-11-30" in seen[("IB001", "scorecard_linked")][1]
    assert ("Clients newly linked to intermediary IB002 from 2026-11-01 to 2026-11-30"
            in seen[("IB002", "scorecard_newly_linked")][1])


def test_the_leaver_is_listed_under_its_new_intermediary_only(month, staff):  # noqa: F811
    b = page(staff["bm_sh"])
    url = reverse("clients:list") + "?link_intermediary=IB001&link_open_on=2026-11-30"
    listed = b.get(url).content.decode()
    assert "长期" in listed and "新来" in listed and "转走" not in listed
    ib2 = b.get(reverse("clients:list"), {"link_intermediary": "IB002", "link_open_on": "2026-11-30"})
    assert "转走" in ib2.content.decode()
