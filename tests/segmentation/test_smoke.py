from segmentation.models import ClientSegment

from ..factories import ClientFactory
from .conftest import weekdays


def test_pipeline_runs(branches, book_rows, night):
    c = ClientFactory(branch=branches[0])
    days = weekdays(70)
    book_rows.days(c, days, equity=600000, lots=10).save()
    run = night(days[-1])
    seg = ClientSegment.objects.get(client=c)
    assert (seg.fund_size, seg.volume) == ("medium", "ordinary"), seg
    print(run.steps)
