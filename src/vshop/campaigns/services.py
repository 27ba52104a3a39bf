"""Campaign writes: build and check a draft, preview it, create it (planned by the worker),
cancel it; the shop's messaging settings (her cap, her webhook). (Owner: pages helper.)"""
