"""schema.org JSON-LD for events (Event) and job listings (JobPosting)."""

from typing import Any

from events.models import Event, EventStatus, JobListing, SalaryUnit

EVENT_STATUS = {
    EventStatus.SCHEDULED: "https://schema.org/EventScheduled",
    EventStatus.POSTPONED: "https://schema.org/EventPostponed",
    EventStatus.CANCELLED: "https://schema.org/EventCancelled",
}
SALARY_UNIT = {
    SalaryUnit.MONTH: "MONTH",
    SalaryUnit.DAY: "DAY",
    SalaryUnit.HOUR: "HOUR",
    SalaryUnit.PIECE: "PIECE",
}
EMPLOYMENT_TYPE = {
    "full_time": "FULL_TIME",
    "part_time": "PART_TIME",
    "seasonal": "TEMPORARY",
    "dispatch": "CONTRACTOR",
    "gig": "PER_DIEM",
}


def _postal_address(*, street: str, region_name: str) -> dict[str, Any]:
    return {
        "@type": "PostalAddress",
        "streetAddress": street,
        "addressLocality": region_name,
        "addressRegion": "广西壮族自治区",
        "addressCountry": "CN",
    }


def event_json_ld(*, event: Event, url: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.title,
        "startDate": event.starts_at.isoformat(),
        "endDate": event.ends_at.isoformat(),
        "eventStatus": EVENT_STATUS[event.status],
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "location": {
            "@type": "Place",
            "name": event.venue,
            "address": _postal_address(street=event.address, region_name=event.region.name),
        },
        "url": url,
        "isAccessibleForFree": True,
    }
    if event.summary:
        data["description"] = event.summary
    if event.organiser:
        data["organizer"] = {"@type": "Organization", "name": event.organiser}
    return data


def job_json_ld(*, job: JobListing, url: str) -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "title": job.title,
        "description": f"{job.work_content}\n{job.requirements}",
        "datePosted": job.valid_from.isoformat(),
        "validThrough": job.valid_until.isoformat(),
        "employmentType": EMPLOYMENT_TYPE[job.employment_type],
        "totalJobOpenings": job.headcount,
        "hiringOrganization": {"@type": "Organization", "name": job.employer.name},
        "jobLocation": {
            "@type": "Place",
            "address": _postal_address(street=job.work_address, region_name=job.region.name),
        },
        "baseSalary": {
            "@type": "MonetaryAmount",
            "currency": "CNY",
            "value": {
                "@type": "QuantitativeValue",
                "minValue": job.salary_min,
                "maxValue": job.salary_max,
                "unitText": SALARY_UNIT[job.salary_unit],
            },
        },
        "url": url,
    }
