"""Lesson 08's chat room: pages, accounts and the page's JavaScript. No WebSocket logic here."""
