#!/usr/bin/env python3
"""Drops a file on a window the way a file manager does: an XDND source (the X11
drag-and-drop protocol) written with python-xlib, for the GUI test. xdotool can move and click
but cannot be a drag source.

usage: xdnd_drop.py WINDOW ROOT_X ROOT_Y URI   (DISPLAY from the environment)
Exits 0 once the target said it finished with the drop, 1 if it refused or went silent.
"""
import select
import sys
import time

from Xlib import X, Xatom, display
from Xlib.protocol import event

window_id, root_x, root_y, uri = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
d = display.Display()
atom = lambda name: d.intern_atom(name)
root = d.screen().root
source = root.create_window(0, 0, 1, 1, 0, X.CopyFromParent)
uri_list = atom("text/uri-list")
selection = atom("XdndSelection")
source.set_selection_owner(selection, X.CurrentTime)
target = d.create_resource_object("window", window_id)
aware = target.get_full_property(atom("XdndAware"), Xatom.ATOM)
if aware is None:
    sys.exit("the target window is not XdndAware")
version = min(5, aware.value[0])


def send(name, data):
    message = event.ClientMessage(
        window=target, client_type=atom(name), data=(32, data + [0] * (5 - len(data)))
    )
    target.send_event(message, event_mask=0)
    d.flush()


send("XdndEnter", [source.id, version << 24, uri_list, 0, 0])
send("XdndPosition", [source.id, 0, (root_x << 16) | root_y, X.CurrentTime, atom("XdndActionCopy")])

deadline = time.time() + 30
dropped = False
while time.time() < deadline:
    if not d.pending_events():
        # Wait for the X connection to have something (bounded by the deadline).
        select.select([d], [], [], max(0.0, deadline - time.time()))
        continue
    e = d.next_event()
    if e.type == X.ClientMessage and e.client_type == atom("XdndStatus"):
        if not dropped:
            if not (e.data[1][1] & 1):
                sys.exit("the target refused the drop")
            send("XdndDrop", [source.id, 0, X.CurrentTime])
            dropped = True
    elif e.type == X.SelectionRequest:
        requestor = e.requestor
        data = (uri + "\r\n").encode()
        prop = e.property or e.target
        requestor.change_property(prop, e.target, 8, data)
        notify = event.SelectionNotify(
            time=e.time, requestor=requestor, selection=e.selection, target=e.target, property=prop
        )
        requestor.send_event(notify)
        d.flush()
    elif e.type == X.ClientMessage and e.client_type == atom("XdndFinished"):
        sys.exit(0)
sys.exit("the target did not finish the drop")
