"""The running application: settings, CLI, web app, channel adapters and the outbox sender."""
