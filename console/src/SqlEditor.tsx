import {
  autocompletion,
  closeBrackets,
  closeBracketsKeymap,
  completionKeymap,
  type Completion,
  type CompletionContext,
  type CompletionResult,
} from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { keywordCompletionSource, PostgreSQL, schemaCompletionSource, sql } from '@codemirror/lang-sql';
import { bracketMatching, defaultHighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { setDiagnostics } from '@codemirror/lint';
import { Compartment, EditorState, Prec, type Extension } from '@codemirror/state';
import { EditorView, highlightActiveLine, keymap, lineNumbers, placeholder } from '@codemirror/view';
import { useEffect, useRef } from 'react';
import { columnsInScope, errorRange, sqlName, type SqlSchema } from './sqlText.ts';

/**
 * The SQL editor (CodeMirror 6 with its PostgreSQL dialect): highlighting, completion of the warehouse's
 * tables, their columns (after `table.`, and bare for the tables the query reads) and keywords, Ctrl/Cmd-Enter
 * to run, and the place of an error PostgreSQL reported marked in the text.
 */

function schemaSource(schema: SqlSchema) {
  const namespace: Record<string, Completion[]> = {};
  for (const [table, columns] of Object.entries(schema))
    namespace[table] = columns.map((c) => ({
      label: c.name,
      apply: sqlName(c.name),
      type: 'property',
      detail: c.type,
    }));
  return schemaCompletionSource({ dialect: PostgreSQL, schema: namespace });
}

/** Bare column names of the tables after FROM and JOIN (the schema source offers them only after `table.`). */
function columnSource(schema: SqlSchema) {
  return (context: CompletionContext): CompletionResult | null => {
    const word = context.matchBefore(/[\p{L}_][\p{L}\p{N}_$]*/u);
    if (!word && !context.explicit) return null;
    const from = word?.from ?? context.pos;
    if (context.state.sliceDoc(from - 1, from) === '.') return null;
    const columns = columnsInScope(context.state.doc.toString(), schema);
    if (columns.length === 0) return null;
    return {
      from,
      options: columns.map((c) => ({
        label: c.name,
        apply: sqlName(c.name),
        type: 'property',
        detail: `${c.type} · ${c.table}`,
        boost: 1,
      })),
      validFor: /^[\p{L}\p{N}_$]*$/u,
    };
  };
}

/** The editing part: keys (Mod-Enter runs), gutters, highlighting, brackets, the look. */
function editing(run: () => boolean, onChange: (sql: string) => void): Extension[] {
  return [
    Prec.highest(keymap.of([{ key: 'Mod-Enter', run }])),
    lineNumbers(),
    history(),
    bracketMatching(),
    closeBrackets(),
    highlightActiveLine(),
    syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
    sql({ dialect: PostgreSQL }),
    keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...completionKeymap]),
    placeholder('SELECT … FROM transactionlines  (Ctrl+Enter runs it)'),
    EditorView.contentAttributes.of({ 'aria-label': 'SQL' }),
    EditorView.updateListener.of((u) => {
      if (u.docChanged) onChange(u.state.doc.toString());
    }),
    EditorView.theme({
      '&': {
        background: 'white',
        border: '1px solid #d1d1d1',
        borderRadius: '4px',
        fontSize: '13px',
        minHeight: '160px',
      },
      '.cm-scroller': { fontFamily: 'ui-monospace, Consolas, monospace', minHeight: '160px', maxHeight: '45vh' },
    }),
  ];
}

export function SqlEditor({
  value,
  onChange,
  onRun,
  schema,
  error,
}: {
  value: string;
  onChange: (sql: string) => void;
  onRun: () => void;
  schema: SqlSchema;
  /** PostgreSQL's position (of the trimmed SQL) and message, to mark; undefined clears the mark. */
  error: { position: number; message: string } | undefined;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const completion = useRef(new Compartment());
  const latest = useRef({ onChange, onRun, schema });
  useEffect(() => {
    latest.current = { onChange, onRun, schema };
  });

  useEffect(() => {
    const run = () => {
      latest.current.onRun();
      return true;
    };
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          ...editing(run, (sql) => latest.current.onChange(sql)),
          completion.current.of(completionFor(latest.current.schema)),
        ],
      }),
    });
    view.current = v;
    return () => v.destroy();
    // The editor is made once; value, schema and error reach it through the effects below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // A new text from outside (history, a saved query): replace the document, keeping nothing stale.
  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value)
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
  }, [value]);

  useEffect(() => {
    view.current?.dispatch({ effects: completion.current.reconfigure(completionFor(schema)) });
  }, [schema]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const range = error ? errorRange(v.state.doc.toString(), error.position) : undefined;
    v.dispatch(
      setDiagnostics(
        v.state,
        range ? [{ ...range, severity: 'error', message: error!.message, source: 'PostgreSQL' }] : [],
      ),
    );
    if (range) v.dispatch({ selection: { anchor: range.from }, scrollIntoView: true });
  }, [error]);

  return <div ref={host} data-sql-editor />;
}

/** Completion from the warehouse: bare columns of the tables read, tables and `table.column`, keywords. */
function completionFor(schema: SqlSchema) {
  return autocompletion({
    override: [columnSource(schema), schemaSource(schema), keywordCompletionSource(PostgreSQL, true)],
  });
}
