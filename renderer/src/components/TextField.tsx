/**
 * A labelled text input with its validation message underneath, wired for screen readers
 * (`aria-invalid`, `aria-describedby`). Every form in the renderer uses it, so a field looks
 * and reads the same everywhere.
 */
import { useId } from 'react';

export function FieldError({ id, error }: { id: string; error: string | undefined }) {
  return error ? (
    <span id={`${id}-error`} className="field-error">
      {error}
    </span>
  ) : null;
}

export function TextField<F extends string>(props: {
  field: F;
  label: string;
  value: string;
  error: string | undefined;
  onChange(field: F, value: string): void;
  placeholder?: string | undefined;
  wide?: boolean | undefined;
  mono?: boolean | undefined;
}) {
  const id = useId();
  const { field, label, value, error, onChange, placeholder, wide, mono } = props;
  return (
    <div className={wide ? 'field field-wide' : 'field'}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        name={field}
        className={mono ? 'mono' : undefined}
        spellCheck={false}
        autoComplete="off"
        placeholder={placeholder}
        value={value}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(event) => onChange(field, event.target.value)}
      />
      <FieldError id={id} error={error} />
    </div>
  );
}
