"""Receiving the season's mail: messages in, the receipt register written, attachments stored by content.

``kjhdz_docs.receive.register`` is the register (``data/<year>/register.json``); the rest reads mail
(.eml, Outlook .msg, mbox, Maildir, IMAP) and files what came into the year's inboxes.
"""
