"""What every API request goes through, whichever operation it is for: route, key, rate
limit, controls, queued answers and faults, then the operation; one ``Reply`` out.
"""
