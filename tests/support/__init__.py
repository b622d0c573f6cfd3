"""Helpers the test suites share: fakes and stand-ins, apps on fakes, an HTTP client over
the dispatcher, event and token factories. Nothing here is collected as a test."""
