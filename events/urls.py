from django.urls import path

from events import views

app_name = "events"

urlpatterns = [
    path("events/<int:event_id>/register/", views.register, name="register"),
    path("registrations/", views.my_registrations, name="my_registrations"),
    path("registrations/<int:pk>/cancel/", views.cancel, name="cancel_registration"),
    path("registrations/<int:pk>/qr.png", views.qr_code, name="registration_qr"),
    path("registrations/<int:pk>/ticket.png", views.ticket_png, name="ticket_png"),
    path("registrations/<int:pk>/ticket.pdf", views.ticket_pdf, name="ticket_pdf"),
]
