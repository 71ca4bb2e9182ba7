//! Small modal dialogs: pick from a list (or type a name), and a yes/no/other question.
//! Modal on purpose: they take a second, and engine events simply wait in the channel.
use fltk::browser::HoldBrowser;
use fltk::button::{Button, ReturnButton};
use fltk::frame::Frame;
use fltk::group::Flex;
use fltk::input::Input;
use fltk::prelude::*;
use fltk::{app, window::Window};
use std::cell::RefCell;
use std::rc::Rc;

/// Lets the person pick one of `items` (shown text, returned value) or type a value;
/// `None` when cancelled.
pub fn pick(title: &str, prompt: &str, items: &[(String, String)]) -> Option<String> {
    let mut win = Window::default().with_size(380, 420).with_label(title);
    win.make_modal(true);
    let mut col = Flex::default_fill().column();
    col.set_margin(10);
    let mut p = Frame::default().with_label(prompt);
    p.set_align(fltk::enums::Align::Left | fltk::enums::Align::Inside);
    col.fixed(&p, 22);
    let mut list = HoldBrowser::default();
    for (shown, _) in items {
        list.add(&format!("@.{shown}"));
    }
    let mut typed = Input::default();
    col.fixed(&typed, 28);
    let row = Flex::default().row();
    let mut cancel = Button::default().with_label("Cancel");
    let mut ok = ReturnButton::default().with_label("OK");
    row.end();
    col.fixed(&row, 30);
    col.end();
    win.end();

    let answer: Rc<RefCell<Option<String>>> = Rc::default();
    let values: Vec<String> = items.iter().map(|(_, v)| v.clone()).collect();
    {
        let mut typed = typed.clone();
        let values = values.clone();
        list.set_callback(move |b| {
            if let Some(v) = values.get((b.value() - 1).max(0) as usize) {
                typed.set_value(v);
            }
        });
    }
    {
        let answer = answer.clone();
        let typed = typed.clone();
        let mut win = win.clone();
        ok.set_callback(move |_| {
            let v = typed.value().trim().to_string();
            if !v.is_empty() {
                *answer.borrow_mut() = Some(v);
            }
            win.hide();
        });
    }
    {
        let mut win = win.clone();
        cancel.set_callback(move |_| win.hide());
    }
    win.show();
    let _ = typed.take_focus();
    while win.shown() {
        app::wait();
    }
    let v = answer.borrow_mut().take();
    v
}
