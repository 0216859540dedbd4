"""The test bench beside the action: GitHub's Releases API simulated, the demo, the test harness.

Nothing here ships in the image; `release_action` never imports it.
"""
