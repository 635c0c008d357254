// A rule's SQL in a text area, and the parser's refusal shown where it points: the line and column,
// the line itself with a caret under the column, and the cursor put there.

import { useEffect, useRef } from 'preact/hooks';
import { ApiError } from '../api.js';
import { offsetOf, sqlPosition } from '../rules-api.js';
import { inputValue } from './controls.js';

export interface SqlFieldProps {
  sql: string;
  onChange: (sql: string) => void;
  /** The refusal of the last save or test, if it was about the SQL. */
  error: Error | undefined;
  readOnly?: boolean;
  label?: string;
}

/** Whether a refusal is about the SQL text (it names a line and column, or the `sql` field). */
export function isSqlError(error: Error | undefined): boolean {
  return error !== undefined && (sqlPosition(error.message) !== undefined || /^sql: /.test(error.message));
}

export function SqlField({ sql, onChange, error, readOnly = false, label = 'SQL' }: SqlFieldProps) {
  const area = useRef<HTMLTextAreaElement>(null);
  const sqlError = isSqlError(error) ? error : undefined;
  const position = sqlError === undefined ? undefined : sqlPosition(sqlError.message);

  const showPosition = (): void => {
    const element = area.current;
    if (element === null || position === undefined) return;
    const offset = offsetOf(element.value, position);
    element.focus();
    element.setSelectionRange(offset, Math.min(offset + 1, element.value.length));
  };
  // A new refusal puts the cursor where it points.
  useEffect(showPosition, [sqlError]);

  const line = position === undefined ? undefined : (sql.split('\n')[position.line - 1] ?? '');
  return (
    <div class="field">
      <label class="field-label" for="rule-sql">
        {label}
      </label>
      <textarea
        id="rule-sql"
        ref={area}
        class="code-input"
        rows={Math.min(16, Math.max(6, sql.split('\n').length + 1))}
        spellcheck={false}
        readOnly={readOnly}
        value={sql}
        aria-invalid={sqlError !== undefined}
        aria-describedby={sqlError !== undefined ? 'rule-sql-error' : undefined}
        onInput={(event) => onChange(inputValue(event))}
      />
      {sqlError !== undefined ? (
        <div id="rule-sql-error" class="notice error sql-error" role="alert">
          {position !== undefined ? (
            <>
              <strong>
                Line {position.line}, column {position.column}:
              </strong>{' '}
              {position.detail}
              <pre class="sql-excerpt" aria-hidden="true">
                {line}
                {'\n'}
                {' '.repeat(Math.max(0, position.column - 1))}^
              </pre>
              <button type="button" class="button plain small" onClick={showPosition}>
                Show in the SQL
              </button>
            </>
          ) : (
            sqlError.message
          )}
          {sqlError instanceof ApiError ? <code class="code">{sqlError.code}</code> : null}
        </div>
      ) : null}
    </div>
  );
}
