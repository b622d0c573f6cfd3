// DOM building without HTML strings: every text from the API goes in as a text node, so
// a workflow name, an error message or a table value can never become markup. (The
// Content-Security-Policy also requires Trusted Types for script sinks: `innerHTML = "..."`
// would throw.)

export type Child = Node | string | number | boolean | null | undefined | Child[];
type Listener = (event: Event) => void;
export type Attrs = Record<string, string | number | boolean | null | undefined | Listener>;

// Set as properties, not attributes: what the user sees and edits.
const PROPERTIES = new Set(["value", "checked", "disabled", "selected"]);

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (PROPERTIES.has(name)) {
      (element as unknown as Record<string, unknown>)[name] = value;
    } else {
      element.setAttribute(name === "className" ? "class" : name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false || child === true) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace an element's content (text nodes and elements only). */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

let counter = 0;
/** A unique id for label/aria-describedby pairs. */
export function uid(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** A button that copies `text()` to the clipboard and says so in a live region. */
export function copyButton(label: string, text: () => string): HTMLButtonElement {
  const button = h("button", { type: "button", class: "secondary small" }, label);
  button.addEventListener("click", () => {
    void navigator.clipboard
      ?.writeText(text())
      .then(() => announce(`${label}: copied.`))
      .catch(() => announce("Copy failed: select the text and copy it."));
  });
  return button;
}

/** Say something to screen readers (and show it in the status bar). */
export function announce(message: string): void {
  const region = document.getElementById("announcer");
  if (region) region.textContent = message;
}

/** A modal confirmation (<dialog>): resolves true when the user confirms. */
export function confirmDialog(title: string, message: string, action: string): Promise<boolean> {
  return new Promise((resolve) => {
    const titleId = uid("dialog-title");
    const dialog = h(
      "dialog",
      { class: "confirm", "aria-labelledby": titleId },
      h("h2", { id: titleId }, title),
      h("p", null, message),
    );
    const cancel = h("button", { type: "button", class: "secondary" }, "Keep it");
    const confirm = h("button", { type: "button", class: "danger" }, action);
    dialog.append(h("div", { class: "actions" }, cancel, confirm));
    const close = (result: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(result);
    };
    cancel.addEventListener("click", () => close(false));
    confirm.addEventListener("click", () => close(true));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      close(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
