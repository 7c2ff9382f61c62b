"""The person's calendar: what is due or scheduled for them (quiz closings, classroom sessions,
program expiries, and whatever other domains register), on a page, a home card and a private
iCal feed."""
