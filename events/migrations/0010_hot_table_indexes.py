"""Fewer indexes on the tables every scan and registration writes (bench/README.md).

Foreign keys that no query looks up, or whose lookups a composite index already serves, lose their
own index; the two unique CharFields become UniqueConstraints, which have one index instead of a
unique one plus a LIKE one.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0009_attendance_rules"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="checkin",
            name="checked_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="checkin",
            name="device",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="events.scannerdevice",
            ),
        ),
        migrations.AlterField(
            model_name="checkin",
            name="session",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="checkins",
                to="events.session",
            ),
        ),
        migrations.AlterField(
            model_name="checkin",
            name="undone_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="registration",
            name="cancelled_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="cancelled by",
            ),
        ),
        migrations.AlterField(
            model_name="registration",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="registered by",
            ),
        ),
        migrations.AlterField(
            model_name="registration",
            name="event",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="registrations",
                to="events.event",
                verbose_name="event",
            ),
        ),
        migrations.AlterField(
            model_name="registration",
            name="ticket_hash",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.AddConstraint(
            model_name="registration",
            constraint=models.UniqueConstraint(
                fields=("ticket_hash",), name="one_registration_per_ticket"
            ),
        ),
        migrations.AlterField(
            model_name="scanlog",
            name="checkin",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="scans",
                to="events.checkin",
            ),
        ),
        migrations.AlterField(
            model_name="scanlog",
            name="client_nonce",
            field=models.CharField(max_length=64),
        ),
        migrations.AddConstraint(
            model_name="scanlog",
            constraint=models.UniqueConstraint(
                fields=("client_nonce",), name="one_scan_per_client_nonce"
            ),
        ),
        migrations.AlterField(
            model_name="scanlog",
            name="device",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="events.scannerdevice",
            ),
        ),
        migrations.AlterField(
            model_name="scanlog",
            name="registration",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="scans",
                to="events.registration",
            ),
        ),
        migrations.AlterField(
            model_name="scanlog",
            name="session",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="scans",
                to="events.session",
            ),
        ),
        migrations.AlterField(
            model_name="scanlog",
            name="user",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
