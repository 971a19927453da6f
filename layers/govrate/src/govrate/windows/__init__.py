"""Windows, their QR codes and posters, the kiosks at windows, and the site keys of the web module."""
