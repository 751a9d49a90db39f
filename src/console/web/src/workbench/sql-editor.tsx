import { autocompletion } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { sql, StandardSQL } from "@codemirror/lang-sql";
import { bracketMatching, HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { tags } from "@lezer/highlight";
import { Compartment, EditorState, StateEffect, StateField } from "@codemirror/state";
import {
  Decoration,
  EditorView,
  keymap,
  lineNumbers,
  placeholder,
  type DecorationSet,
} from "@codemirror/view";
import { useEffect, useRef } from "preact/hooks";
import type { SqlPosition } from "./error-position.js";

/** The place an error points at: marked until the text changes or another run answers. */
const setErrorMark = StateEffect.define<{ from: number; to: number } | undefined>();
const errorMark = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(marks, transaction) {
    if (transaction.docChanged) return Decoration.none;
    for (const effect of transaction.effects) {
      if (effect.is(setErrorMark)) {
        marks = effect.value
          ? Decoration.set([
              Decoration.mark({ class: "cm-error-mark", attributes: { "data-testid": "error-mark" } }).range(
                effect.value.from,
                effect.value.to,
              ),
            ])
          : Decoration.none;
      }
    }
    return marks;
  },
  provide: (field) => EditorView.decorations.from(field),
});

/** Colours from the page's CSS variables, so the editor follows the light and dark themes. */
const highlightStyle = HighlightStyle.define([
  { tag: tags.keyword, color: "var(--syntax-keyword)", fontWeight: "600" },
  { tag: [tags.string, tags.special(tags.string)], color: "var(--syntax-string)" },
  { tag: [tags.number, tags.bool, tags.null], color: "var(--syntax-number)" },
  { tag: [tags.lineComment, tags.blockComment], color: "var(--syntax-comment)", fontStyle: "italic" },
  { tag: [tags.typeName, tags.standard(tags.name)], color: "var(--syntax-type)" },
]);

const theme = EditorView.theme({
  "&": { backgroundColor: "var(--panel)", color: "var(--text)" },
  ".cm-content": { caretColor: "var(--text)" },
  "&.cm-focused .cm-cursor": { borderLeftColor: "var(--text)" },
  ".cm-gutters": {
    backgroundColor: "var(--code-bg)",
    color: "var(--muted)",
    borderRight: "1px solid var(--border)",
  },
  "&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection": {
    backgroundColor: "var(--accent-soft)",
  },
  ".cm-error-mark": {
    textDecoration: "underline wavy var(--bad)",
    backgroundColor: "color-mix(in srgb, var(--bad) 18%, transparent)",
  },
  ".cm-tooltip": { backgroundColor: "var(--panel)", color: "var(--text)", border: "1px solid var(--border)" },
  ".cm-tooltip-autocomplete ul li[aria-selected]": {
    backgroundColor: "var(--accent)",
    color: "var(--panel)",
  },
});

export interface EditorHandle {
  get(): string;
  set(text: string): void;
  focus(): void;
  /** Marks the word (or character) at a position the last error gave, or clears the mark. */
  markError(position: SqlPosition | undefined): void;
}

interface Props {
  initial: string;
  /** Table name → column names, for completion. */
  schema: Record<string, string[]>;
  defaultTable?: string;
  onRun: () => void;
  /** Called after every change of the text (typed, pasted or set). */
  onChange?: () => void;
  handle: { current: EditorHandle | null };
}

/** CodeMirror 6 with SQL highlighting, completion of the catalog's tables and columns, Ctrl/Cmd+Enter to run. */
export function SqlEditor(props: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const language = useRef(new Compartment());
  const onRun = useRef(props.onRun);
  onRun.current = props.onRun;
  const onChange = useRef(props.onChange);
  onChange.current = props.onChange;

  useEffect(() => {
    const state = EditorState.create({
      doc: props.initial,
      extensions: [
        lineNumbers(),
        history(),
        bracketMatching(),
        syntaxHighlighting(highlightStyle),
        theme,
        errorMark,
        language.current.of(sql({ dialect: StandardSQL, upperCaseKeywords: true })),
        autocompletion(),
        placeholder("SELECT … (Ctrl+Enter runs)"),
        keymap.of([
          { key: "Mod-Enter", run: () => (onRun.current(), true), preventDefault: true },
          ...defaultKeymap,
          ...historyKeymap,
        ]),
        EditorView.lineWrapping,
        EditorView.updateListener.of((update) => {
          if (update.docChanged) onChange.current?.();
        }),
        EditorView.cspNonce.of(
          document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content ?? "",
        ),
        EditorView.contentAttributes.of({ "aria-label": "SQL query", "data-testid": "sql-editor" }),
      ],
    });
    const editor = new EditorView({ state, parent: host.current! });
    view.current = editor;
    props.handle.current = {
      get: () => editor.state.doc.toString(),
      set: (text) => editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: text } }),
      focus: () => editor.focus(),
      markError: (position) => {
        const doc = editor.state.doc;
        let range: { from: number; to: number } | undefined;
        if (position && position.line >= 1 && position.line <= doc.lines) {
          const line = doc.line(position.line);
          const from = Math.min(line.from + Math.max(position.column - 1, 0), line.to);
          const word = /^[\w$]+|^\S/.exec(doc.sliceString(from, line.to))?.[0].length ?? 0;
          // At the end of a line (an unfinished statement): the character before, so something shows.
          range = word ? { from, to: from + word } : { from: Math.max(from - 1, line.from), to: from };
          if (range.from === range.to) range = undefined;
        }
        editor.dispatch({
          effects: [setErrorMark.of(range), ...(range ? [EditorView.scrollIntoView(range.from)] : [])],
        });
      },
    };
    return () => editor.destroy();
  }, []);

  useEffect(() => {
    view.current?.dispatch({
      effects: language.current.reconfigure(
        sql({
          dialect: StandardSQL,
          upperCaseKeywords: true,
          schema: props.schema,
          defaultTable: props.defaultTable,
        }),
      ),
    });
  }, [props.schema, props.defaultTable]);

  return <div class="editor" ref={host} />;
}
