"""Campaign reads for the owner: her campaigns, one campaign's report. (Owner: pages helper.)"""
