"""PDF rendering with WeasyPrint; knows nothing of pledges or orders."""
