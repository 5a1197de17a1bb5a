"""The ``flask`` commands that belong to a part of the app (reports, alerts, invitations,
fieldwork, kiosk), kept apart from its views so that listing the commands imports no view, no
model and no database library; each command imports those when it runs."""
