DROP TABLE message_attachments;
DROP TABLE attachment_parts;
DROP TABLE attachments;
