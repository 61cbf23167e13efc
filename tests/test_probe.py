import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from tests.cms.test_query_counts import add_fair_content
from tests.factories import EventFactory

@pytest.mark.django_db
def test_probe(client):
    fair = EventFactory(sessions=3)
    add_fair_content(fair, 3)
    client.get(f"/events/{fair.pk}/")
    with CaptureQueriesContext(connection) as c:
        client.get(f"/events/{fair.pk}/")
    for q in c.captured_queries:
        print(q["sql"][:230])
