"""The campaign pages: public, backers', facilitators'."""
