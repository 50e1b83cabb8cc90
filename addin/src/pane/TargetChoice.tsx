import { Radio, RadioGroup } from '@fluentui/react-components';

/** A new worksheet, or the selected cell. */
export function TargetChoice({
  value,
  onChange,
  sheetName,
}: {
  value: 'new' | 'here';
  onChange: (v: 'new' | 'here') => void;
  sheetName: string;
}) {
  return (
    <RadioGroup value={value} onChange={(_e, d) => onChange(d.value as 'new' | 'here')}>
      <Radio value="new" label={`New worksheet (${sheetName})`} />
      <Radio value="here" label="At the selected cell" />
    </RadioGroup>
  );
}
