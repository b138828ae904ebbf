-- The CFDI a company imported, kept so that a later import can apply a payment
-- complement or a credit note to an invoice of an earlier one, exactly as if
-- both had come in one import, and so that importing the same files again
-- changes nothing (src/import/cfdi.rs). One row per document and invoice it
-- bears on: an invoice (I) bears on itself, a payment (P) or credit note (E)
-- on each invoice it relates. `body` is the document's parts that matter, JSON.
CREATE TABLE cfdi_documents (
    company_id   BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    uuid         TEXT   NOT NULL,
    invoice_uuid TEXT   NOT NULL,
    kind         TEXT   NOT NULL,
    body         TEXT   NOT NULL,
    PRIMARY KEY (company_id, uuid, invoice_uuid)
);

CREATE INDEX cfdi_documents_invoice ON cfdi_documents (company_id, invoice_uuid);

-- As the invoices: members read, owners write.
ALTER TABLE cfdi_documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE cfdi_documents FORCE ROW LEVEL SECURITY;
CREATE POLICY cfdi_documents_read ON cfdi_documents FOR SELECT
    USING (katalis_can(company_id, 1, current_user));
CREATE POLICY cfdi_documents_insert ON cfdi_documents FOR INSERT
    WITH CHECK (katalis_can(company_id, 3, current_user));
CREATE POLICY cfdi_documents_update ON cfdi_documents FOR UPDATE
    USING (katalis_can(company_id, 3, current_user)) WITH CHECK (katalis_can(company_id, 3, current_user));
CREATE POLICY cfdi_documents_delete ON cfdi_documents FOR DELETE
    USING (katalis_can(company_id, 3, current_user));
GRANT SELECT, INSERT, UPDATE, DELETE ON cfdi_documents TO PUBLIC;
