//! Small modal dialogs: pick from a list (or type a name). Typing narrows the list; a double
//! click or Enter picks. Modal on purpose: they take a second, and engine events simply wait
//! in the channel.
use fltk::browser::HoldBrowser;
use fltk::button::{Button, ReturnButton};
use fltk::enums::{CallbackTrigger, Event as FlEvent};
use fltk::frame::Frame;
use fltk::group::Flex;
use fltk::input::Input;
use fltk::prelude::*;
use fltk::{app, window::Window};
use lanchat_ui_model::trace;
use std::cell::RefCell;
use std::rc::Rc;

/// The items whose shown text contains `typed` (case-insensitive).
fn matching<'a>(items: &'a [(String, String)], typed: &str) -> Vec<&'a (String, String)> {
    let typed = typed.trim().to_lowercase();
    items
        .iter()
        .filter(|(shown, value)| {
            typed.is_empty()
                || shown.to_lowercase().contains(&typed)
                || value.to_lowercase().contains(&typed)
        })
        .collect()
}

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
    let mut typed = Input::default();
    col.fixed(&typed, 28);
    let mut list = HoldBrowser::default();
    let row = Flex::default().row();
    let mut cancel = Button::default().with_label("Cancel");
    let mut ok = ReturnButton::default().with_label("OK");
    row.end();
    col.fixed(&row, 30);
    col.end();
    win.end();

    let answer: Rc<RefCell<Option<String>>> = Rc::default();
    let shown: Rc<RefCell<Vec<String>>> = Rc::default();
    let mut fill = {
        let mut list = list.clone();
        let shown = shown.clone();
        let items = items.to_vec();
        move |typed: &str| {
            list.clear();
            let found = matching(&items, typed);
            for (label, _) in &found {
                list.add(&format!("@.{label}"));
            }
            if !found.is_empty() {
                list.select(1);
            }
            *shown.borrow_mut() = found.into_iter().map(|(_, v)| v.clone()).collect();
        }
    };
    fill("");
    let choose = {
        let answer = answer.clone();
        let shown = shown.clone();
        let typed = typed.clone();
        let list = list.clone();
        let mut win = win.clone();
        move || {
            let selected = shown
                .borrow()
                .get((list.value() - 1).max(0) as usize)
                .cloned();
            let v = typed.value().trim().to_string();
            // What is typed counts when it is a whole value; else the selected line.
            let value = if shown.borrow().contains(&v) || selected.is_none() {
                Some(v).filter(|v| !v.is_empty())
            } else {
                selected
            };
            *answer.borrow_mut() = value;
            win.hide();
        }
    };
    {
        let mut fill = fill.clone();
        typed.set_trigger(CallbackTrigger::Changed);
        typed.set_callback(move |t| fill(&t.value()));
    }
    {
        let mut choose = choose.clone();
        list.set_callback(move |_| {
            // A double click picks (also in the Join list).
            if app::event() == FlEvent::Released && app::event_clicks() {
                choose();
            }
        });
    }
    {
        let mut choose = choose.clone();
        ok.set_callback(move |_| choose());
    }
    {
        let mut win = win.clone();
        cancel.set_callback(move |_| win.hide());
    }
    win.show();
    let _ = typed.take_focus();
    if trace::enabled() {
        // Lay out now so the positions traced are where the widgets are drawn.
        col.layout();
        app::flush();
        let at = |w: &dyn WidgetExt| format!("{},{}", w.x() + w.w() / 2, w.y() + w.h() / 2);
        trace::line(&format!(
            "picker {title} input={} ok={} first-line={},{}",
            at(&typed),
            at(&ok),
            list.x() + 40,
            list.y() + 8
        ));
    }
    while win.shown() {
        app::wait();
    }
    let v = answer.borrow_mut().take();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_narrows_the_choices() {
        let items = vec![
            ("#dev".to_string(), "#dev".to_string()),
            ("Bob  @bob".to_string(), "@bob".to_string()),
        ];
        assert_eq!(matching(&items, "").len(), 2);
        assert_eq!(matching(&items, "BO")[0].1, "@bob");
        assert!(matching(&items, "zz").is_empty());
    }
}
