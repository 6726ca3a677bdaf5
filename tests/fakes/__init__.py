"""Local fakes of the chat platforms that the real SDK clients talk to in tests."""
