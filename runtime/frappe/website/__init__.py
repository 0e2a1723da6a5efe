"""Portal pages: ``www/`` templates of installed apps, message pages and static assets."""
