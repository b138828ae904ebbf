-- The CFDI a company imported, kept so that a later import can apply a payment
-- complement or a credit note to an invoice of an earlier one, exactly as if
-- both had come in one import, and so that importing the same files again
-- changes nothing (src/import/cfdi.rs). One row per document and invoice it
-- bears on: an invoice (I) bears on itself, a payment (P) or credit note (E)
-- on each invoice it relates. `body` is the document's parts that matter, JSON.
CREATE TABLE cfdi_documents (
    company_id   INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    uuid         TEXT    NOT NULL,
    invoice_uuid TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    PRIMARY KEY (company_id, uuid, invoice_uuid)
) STRICT, WITHOUT ROWID;

CREATE INDEX cfdi_documents_invoice ON cfdi_documents (company_id, invoice_uuid);
