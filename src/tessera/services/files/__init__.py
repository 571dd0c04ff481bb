"""Files: uploads, imports, replacements and deletions of directus_files, and folders."""
