#!/usr/bin/python3
# A notification server (org.freedesktop.Notifications) on the session
# bus named by DBUS_SESSION_BUS_ADDRESS, for the desktop prompt's tests.
#
#   notifyd.py DIR
#
# Each Notify and CloseNotification is appended to DIR/log as a JSON
# line. After a Notify, the server reads DIR/answer: an action key there
# is invoked (ActionInvoked) 0.3 s later, as if the user clicked it;
# "none" or no file leaves the notification waiting. DIR/caps, when it
# exists, replaces the capabilities (one a line). DIR/ready appears once
# the name is owned.
import json
import os
import sys

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

IFACE = "org.freedesktop.Notifications"
DIR = sys.argv[1]


def log(entry):
    with open(os.path.join(DIR, "log"), "a") as f:
        f.write(json.dumps(entry) + "\n")


def read(name, default):
    try:
        with open(os.path.join(DIR, name)) as f:
            return f.read().strip()
    except FileNotFoundError:
        return default


class Server(dbus.service.Object):
    def __init__(self, bus):
        super().__init__(bus, "/org/freedesktop/Notifications")
        self.next_id = 1
        self.open = set()

    @dbus.service.method(IFACE, in_signature="", out_signature="as")
    def GetCapabilities(self):
        caps = read("caps", "actions\nbody\nbody-markup")
        return [c for c in caps.split("\n") if c]

    @dbus.service.method(IFACE, in_signature="", out_signature="ssss")
    def GetServerInformation(self):
        return ("notifyd.py", "guardfs tests", "1.0", "1.2")

    @dbus.service.method(IFACE, in_signature="susssasa{sv}i",
                         out_signature="u", sender_keyword="sender")
    def Notify(self, app, replaces, icon, summary, body, actions, hints,
               expire, sender=None):
        nid = replaces or self.next_id
        self.next_id += 1
        self.open.add(nid)
        urgency = hints.get("urgency")
        log({"event": "notify", "id": int(nid), "app": str(app),
             "summary": str(summary), "body": str(body),
             "actions": [str(a) for a in actions], "expire": int(expire),
             "urgency": None if urgency is None else int(urgency)})
        key = read("answer", "none")
        if key != "none":
            GLib.timeout_add(300, self.invoke, nid, key)
        return dbus.UInt32(nid)

    def invoke(self, nid, key):
        if nid in self.open:
            log({"event": "invoke", "id": int(nid), "key": key})
            self.ActionInvoked(dbus.UInt32(nid), key)
        return False

    @dbus.service.method(IFACE, in_signature="u", out_signature="")
    def CloseNotification(self, nid):
        log({"event": "close", "id": int(nid)})
        if nid in self.open:
            self.open.discard(nid)
            self.NotificationClosed(nid, dbus.UInt32(3))

    @dbus.service.signal(IFACE, signature="us")
    def ActionInvoked(self, nid, key):
        pass

    @dbus.service.signal(IFACE, signature="uu")
    def NotificationClosed(self, nid, reason):
        pass


DBusGMainLoop(set_as_default=True)
bus = dbus.SessionBus()
name = dbus.service.BusName(IFACE, bus, do_not_queue=True)
server = Server(bus)
open(os.path.join(DIR, "ready"), "w").close()
GLib.MainLoop().run()
