import {
  Button,
  Checkbox,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Field,
  Input,
} from '@fluentui/react-components';
import { useState } from 'react';
import type { PublishedViewInfo, SavedQueryInfo } from '../../../server/api/types.ts';
import { post } from '../api.ts';
import { ErrorBar } from '../components.tsx';
import { viewNameFor } from '../sqlText.ts';
import { useAction } from '../useAction.ts';

/** Publishing a saved query as a view in the reports schema, plain or materialized. */
export function PublishViewDialog({
  saved,
  onClose,
  onPublished,
}: {
  saved: SavedQueryInfo;
  onClose: () => void;
  onPublished: (view: PublishedViewInfo) => void;
}) {
  const [name, setName] = useState(viewNameFor(saved.name));
  const [materialized, setMaterialized] = useState(false);
  const action = useAction();
  const publish = () =>
    action.run(async () =>
      onPublished(await post<PublishedViewInfo>('/api/v1/views', { name, savedQueryId: saved.id, materialized })),
    );
  return (
    <Dialog open onOpenChange={(_e, d) => (d.open ? undefined : onClose())}>
      <DialogSurface>
        <DialogBody>
          <DialogTitle>Publish “{saved.name}” as a view</DialogTitle>
          <DialogContent style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
            <Field
              label="View name"
              required
              hint={`BI tools, Excel, Sheets and the query API read it as reports.${name || '…'}.`}
            >
              <Input value={name} onChange={(_e, d) => setName(d.value)} maxLength={63} />
            </Field>
            <Checkbox
              checked={materialized}
              onChange={(_e, d) => setMaterialized(d.checked === true)}
              label="Materialized: keep the rows (fast to read), refreshed after every sync that changes a table it reads"
            />
            {action.error ? <ErrorBar error={action.error} title="Not published" /> : null}
          </DialogContent>
          <DialogActions>
            <Button onClick={onClose}>Cancel</Button>
            <Button appearance="primary" disabled={!name.trim() || action.busy} onClick={() => void publish()}>
              Publish
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
