# The reference document's upload script, unchanged except for the marked line that supplies the URL
# (the reference leaves it to "the previous step"). Run from a folder holding valid.jsonl:
#   UPLOAD_URL="<upload_url from generate-upload-url>" python3 reference_upload.py
import os  # added
import requests
import gzip
import shutil
def upload_jsonl_to_s3_presigned_url(file_path, presigned_url):
    with open(file_path, "rb") as f:
        response = requests.put(
            presigned_url,
            data=f,
            headers={"Content-Type": "application/jsonl", "Content-Encoding": "gzip"},
        )
    if response.status_code == 200:
        print("Upload successful")
    else:
        print(f"Upload failed: {response.status_code} - {response.text}")
file_path = "valid.jsonl"
# Compress the file
compressed_file = file_path + ".gz"
with open(file_path, "rb") as f_in:
    with gzip.open(compressed_file, "wb") as f_out:
        shutil.copyfileobj(f_in, f_out)
# Get presigned upload url from previous step 
presigned_url = os.environ["UPLOAD_URL"]  # added
upload_jsonl_to_s3_presigned_url(compressed_file, presigned_url)
